"""API keys and role guards. Banks, reviewers and administrators each hold their own key."""
