"""The field side of issue 18: volunteers' phone app, its sync API and the supervisors' pages."""
