"""Every renderer: reports, explanations, rule docs, graphs, audit records."""
