"""Help: the Thai user manual per role (Markdown under docs/th/), shown at /help/."""
