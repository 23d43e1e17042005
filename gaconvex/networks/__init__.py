"""gaconvex.networks: torch models of the networks behind the Lasso libraries (002 Sec. 2).

Parallel and standard networks (:mod:`.modules`), the training objective (1.1)
(:mod:`.objective`), reconstruction of a network from a Lasso solution (:mod:`.reconstruction`),
non-convex training (:mod:`.training`), c-output two-layer networks (001 Thm 14,
:mod:`.vector_output`), kinks of trained networks (:mod:`.kinks`) and the
library-completeness search of the dual certificate (:mod:`.completeness`).  Importing this
package imports torch.
"""
from __future__ import annotations

from .kinks import Kink, NetworkKinks, breakpoints, network_function
from .completeness import UnitCorrelation, max_unit_correlation, unit_values
from .modules import ParallelNetwork, StandardNetwork, activation_function, to_standard
from .objective import data_fit, penalty, training_objective
from .reconstruction import reconstruct, split_neurons
from .training import TrainingResult, train_nonconvex
from .vector_output import VectorOutputNetwork, reconstruct_vector, train_vector_output

__all__ = ["ParallelNetwork", "StandardNetwork", "activation_function", "to_standard",
           "data_fit", "penalty", "training_objective", "reconstruct", "split_neurons",
           "TrainingResult", "train_nonconvex", "UnitCorrelation", "max_unit_correlation",
           "unit_values", "Kink", "NetworkKinks", "breakpoints", "network_function",
           "VectorOutputNetwork", "reconstruct_vector", "train_vector_output"]
