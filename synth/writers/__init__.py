"""Writers word questions from mined candidates: the offline template writer and the LLM writer."""
