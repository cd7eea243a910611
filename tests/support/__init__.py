"""Test support: generators of random policies (`policygen`) and messy CRM-style leads (`leadgen`),
and a Language Server Protocol client over stdio (`lsp_client`).

Tests import them as `from support.leadgen import leads_for`; nothing here is a test.
"""
