"""What a rule pack is: its file formats, the loaded RulePack, its vocabulary and index."""
