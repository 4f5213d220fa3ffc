"""政银企: the enterprises' financing needs, the banks' answers to the needs pushed to
them (推荐清单) on a working-day deadline, and the 银税互动 flag."""
