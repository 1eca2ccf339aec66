"""The header search: a results page that works without JavaScript and suggestions as JSON."""
