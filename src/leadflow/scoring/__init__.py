"""Lead scoring (C4): models, rules, grades, the engine, history and insight."""
