"""Application workflow: the pure state machine lives in `states`."""
