"""The hand-over to sales (C9): queues, tasks, deadlines, assignment, qualify/disqualify/recycle."""
