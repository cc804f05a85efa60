"""Road graph, snapping and travel-time matrices over OpenStreetMap data."""
