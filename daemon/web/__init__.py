"""The optional web app: one click from the email, the owner's pages, shared agendas.

Served by ``cadence daemon`` in a thread of its own when ``[web] enabled`` (see
:mod:`.server`), or in the foreground by ``cadence web``; meant to sit behind
an https reverse proxy. Starlette routes the requests and uvicorn serves them;
pages are Jinja2 templates with autoescape, and one stylesheet. No page runs a
script: everything is a link or a form.

The pages:

- a proposal's confirm pages, one per slot and one to dismiss it, linked from
  its email (:mod:`.proposal_pages`);
- the owner's pages behind her sign-in: the heatmap with the week ahead and
  the open proposals, people, bookings, each person's agenda
  (:mod:`.signing_in`, :mod:`.owner_pages`, :mod:`.people_pages`);
- each person's agenda page, a secret link of their own (:mod:`.agenda_pages`).

GET and HEAD never change anything. Every change is a POST whose form carries a
token bound to its page; see :mod:`.guard` for that, the headers every answer
carries, the size limit on requests and the rate limit on link lookups.
"""
