"""internship-bot core: messenger-neutral services that run a pedagogical internship."""
