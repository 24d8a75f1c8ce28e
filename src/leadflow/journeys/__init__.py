"""Customer journeys: nurture that sends, waits, branches and creates leads."""
