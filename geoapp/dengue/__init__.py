"""Dengue pages: dashboard, recommended radius, spray plan and work orders, and their maps."""
