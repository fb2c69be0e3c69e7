namespace Pipeline.Training;

/// <summary>One progress report: an L-BFGS iteration or an MLP epoch.</summary>
/// <param name="Step">Iterations or epochs done (1-based).</param>
/// <param name="MaxSteps">The most there can be (training may stop earlier on convergence or early stopping).</param>
/// <param name="TrainingLoss">The training objective: weighted mean cross-entropy (plus the L2 term for logistic regression).</param>
/// <param name="ValidationLoss">The validation loss when there is a validation set (MLP epochs), else null.</param>
/// <param name="LearningRate">The MLP's learning rate at the end of the epoch; the L-BFGS step length for logistic regression.</param>
public readonly record struct TrainingProgress(int Step, int MaxSteps, double TrainingLoss, double? ValidationLoss, double LearningRate);
