"""Domain model, OR-Tools routing core, insertion and the independent feasibility checker."""
