"""The checker's passes, one module each; leadpolicy/check/__init__.py runs them in order."""
