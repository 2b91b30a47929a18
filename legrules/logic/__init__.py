"""What a condition means: two- and three-valued evaluation, witnesses, withholding."""
