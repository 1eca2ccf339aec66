"""Personal data (PDPA): dengue case records, data-subject requests and the access log."""
