"""The stepping engine: the SimPy-shaped environment, its timeline of steps and time travel,
the timeline events it dispatches, and the headless runner that judges expectations."""
