"""The municipality home: landing, municipality list, home page dashboard and the city map."""
