//! Sweep definitions, grid expansion, seeding and parallel execution (next issue).
