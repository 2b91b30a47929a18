"""For rule authors: lint, rule test cases, the knowledge-base map."""
