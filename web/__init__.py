"""The coordinators' and tutors' web panel: aiohttp + jinja2, served by the bot's own process.

It is another adapter of the same core: it reads through `storage/`, checks roles with
`bot.router`, and acts through the handlers' own functions inside a `Ctx`, so a decision
made here reaches interns exactly as one made in the chat. See web/panel.py.
"""
