"""`leadpolicy report`: replay leads through time under a policy and measure
the funnel, velocity and outcomes (docs/report.md)."""
