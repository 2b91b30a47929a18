"""The questionnaire's logic: which questions to skip given the answers so far."""
