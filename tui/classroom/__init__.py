"""Classroom: `lb6 serve` puts the explorer in browsers, and students can follow the instructor.

- `hub`     the class's shared state: who leads, where the lead is, who is following, the
            answers to the lead's questions. Pure Python, no web framework, so it is unit-tested
            on its own.
- `server`  the web server (textual-serve underneath): one explorer process per browser, the
            join and lead links with their tokens, and the hub's small JSON API.
- `client`  what an explorer process uses to talk to the hub.

textual-serve and aiohttp are an optional extra (`pip install 'lb6[serve]'`); nothing here is
imported unless a class is running.
"""
