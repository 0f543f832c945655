"""The versioned store: items, immutable revisions and content-addressed blobs."""
