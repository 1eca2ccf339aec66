"""Feature history: versions, restores and import rollbacks of a dataset."""
