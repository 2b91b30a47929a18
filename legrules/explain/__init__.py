"""WHY NOT and WHY: explanations computed from the pack and the evaluator."""
