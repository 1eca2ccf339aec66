"""Staff pages: a municipality's administrator manages its members and their roles."""
