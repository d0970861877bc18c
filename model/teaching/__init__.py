"""Teaching on top of the engine: predict-then-reveal lessons and the twin-stack comparison."""
