"""Staff and enterprise pages in Simplified Chinese under /ui: server-rendered HTML (Jinja), one
CSS file, SVG charts drawn on the server, no scripts, nothing from outside the app."""
