"""The web app for planners (``zengshou app``): the answer, the mixes, what it hinges on, the
cheapest mix and household scores, in Chinese and English, built on Solara."""
