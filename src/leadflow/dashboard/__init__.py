"""The hand-over dashboard: funnel, conversion, time in stage, overdue work, sales-ready per day."""
