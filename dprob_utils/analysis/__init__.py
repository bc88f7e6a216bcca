"""What the chapters measure on trained models: ``geometry`` (distance to the decision boundary, cross-sections;
chapters 04, 05, 07), ``curvature`` (input-Hessian eigenvalues; 04, 07), ``gradients`` (gradient statistics; 10, 11),
``transfer`` (transfer matrices; 10, 11), ``masking`` (the seven-criteria gradient-masking check; 11)."""
