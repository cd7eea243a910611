"""The leadpolicy language server: diagnostics as you type, hover, completion,
navigation, rename, formatting, an outline and quick fixes, for `.policy` and
`.tests` files, in any editor that speaks the Language Server Protocol.

The analysis modules (`documents`, `symbols`, `hover`, `completion`,
`navigation`, `outline`, `actions`) need only leadpolicy itself; `server`
speaks the protocol and needs the optional extra: `pip install 'leadpolicy[lsp]'`.
"""
