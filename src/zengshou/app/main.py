"""The app Solara serves: seven pages under one layout with the language toggle.

``zengshou app`` starts it; in JupyterLab each page is a component too
(``from zengshou.app.pages.answer import Page; Page()``).
"""

from __future__ import annotations

import solara

from zengshou.app.pages import answer, cheapest, compare, edit, hinges, households, runs
from zengshou.app.state import language, settings, t

PAGES = {
    "answer": answer.Page,
    "compare": compare.Page,
    "edit": edit.Page,
    "hinges": hinges.Page,
    "cheapest": cheapest.Page,
    "households": households.Page,
    "runs": runs.Page,
}
CSS = """
.zs-nav .v-btn { text-transform: none; }
.zs-title { font-size: 20px; font-weight: 600; }
"""


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara passes the pages as children)
    route, routes = solara.use_route()
    solara.Title(t("app.title"))
    solara.Style(CSS)
    with solara.Column(style={"padding": "12px 20px", "max-width": "1100px"}):
        with solara.Row(style={"align-items": "center", "justify-content": "space-between"}):
            solara.Text(t("app.title"), classes=["zs-title"])
            with solara.Row(style={"align-items": "center"}):
                with solara.ToggleButtonsSingle(value=language, classes=["zs-language"]):
                    solara.Button("中文", value="zh", classes=["zs-lang-zh"])
                    solara.Button("English", value="en", classes=["zs-lang-en"])
                if settings().require_login:
                    solara.Button(t("app.logout"), href="/logout", text=True)
        with solara.Row(classes=["zs-nav"], style={"flex-wrap": "wrap"}):
            for page in routes:
                name = page.path if page.path != "/" else "answer"
                with solara.Link(solara.resolve_path(page)):
                    solara.Button(
                        t(f"app.page.{name}"),
                        text=page is not route,
                        color="primary",
                        classes=[f"zs-page-{name}"],
                    )
        current = route.path if route.path != "/" else "answer"
        solara.Column(children=children, classes=[f"zs-on-{current}"])  # which page is shown


# The root route's layout wraps every page (solara.autorouting).
routes = [
    solara.Route(
        path="/" if name == "answer" else name,
        component=page,
        layout=Layout if name == "answer" else None,
    )
    for name, page in PAGES.items()
]
