"""The lead business process (C5): definitions, instances, stage transitions."""
