"""Motion simulation for the multimodal corpus: skeleton, BVH motion capture, procedural motion,
virtual IMUs with a sensor error model, video rendering and captions."""
