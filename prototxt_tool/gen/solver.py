"""solver.prototxt for a generated train-val net, with the schedule the MobileNet papers use.

Both papers train with RMSProp (decay 0.9, epsilon 1.0, as Inception v3), initial learning
rate 0.045 and weight decay 4e-5; v1 decays the rate by 0.94 every 2 epochs, v2 by 0.98 every
epoch. Caffe's RMSProp refuses momentum, so none is written for it; SGD gets momentum 0.9 and
the same schedule.
"""

from __future__ import annotations

import math

from prototxt_tool.gen import common

SOLVER_TYPES = ("RMSProp", "SGD")
IMAGENET_TRAIN = 1_281_167  # ILSVRC-2012 training images
IMAGENET_VAL = 50_000
BASE_LR = 0.045
WEIGHT_DECAY = 4e-5


def solver(net_path: str, batch_size: int, val_batch_size: int, gamma: float,
           epochs_per_step: int, solver_type: str = "RMSProp", epochs: int = 120,
           base_lr: float = BASE_LR, snapshot_prefix: str = "snapshots/mobilenet",
           model: str = "MobileNet") -> str:
    """Solver text; iteration counts come from ImageNet's size and the batch sizes."""
    common.check_choice(solver_type, "--solver-type", SOLVER_TYPES)
    common.check_int(epochs, "--epochs", 1)
    common.check_int(batch_size, "--batch-size", 1)
    common.check_int(val_batch_size, "--val-batch-size", 1)
    epoch_iters = math.ceil(IMAGENET_TRAIN / batch_size)
    s = {
        "comment": f"{model}: {solver_type}, lr {common.fmt_float(base_lr)} x "
                   f"{common.fmt_float(gamma)} every {epochs_per_step} epoch(s), "
                   f"{epochs} epochs of ImageNet at batch {batch_size}",
        "net": net_path, "type": solver_type, "base_lr": common.fmt_float(base_lr),
        "gamma": common.fmt_float(gamma), "stepsize": epoch_iters * epochs_per_step,
        "max_iter": epoch_iters * epochs, "epoch_iters": epoch_iters,
        "test_iter": math.ceil(IMAGENET_VAL / val_batch_size),
        "weight_decay": common.fmt_float(WEIGHT_DECAY), "snapshot_prefix": snapshot_prefix,
    }
    return common.render("solver.prototxt.j2", s=s)


# chuanqi305/MobileNet-SSD's VOC solver: RMSProp at 5e-4, halved at 20k and 40k iterations,
# 120k in all, mAP (11-point, VOC2007) every 10k on `test_iter` TEST batches.
SSD_BASE_LR = 0.0005
SSD_MAX_ITER = 120_000
SSD_STEPS = (20_000, 40_000)
SSD_TEST_ITER = 673  # the reference's value (its TEST set at batch 8)


def ssd_solver(train_net: str, test_net: str, solver_type: str = "RMSProp",
               max_iter: int = SSD_MAX_ITER, base_lr: float = SSD_BASE_LR,
               test_iter: int = SSD_TEST_ITER, snapshot_prefix: str = "snapshot/mobilenet",
               model: str = "MobileNet-SSD") -> str:
    """Solver text for a generated SSD train/test pair; steps scale with max_iter."""
    common.check_choice(solver_type, "--solver-type", SOLVER_TYPES)
    common.check_int(max_iter, "--max-iter", 1)
    common.check_int(test_iter, "--test-iter", 1)
    steps = [step * max_iter // SSD_MAX_ITER for step in SSD_STEPS]
    s = {
        "comment": f"{model}: {solver_type}, lr {common.fmt_float(base_lr)} halved at "
                   f"{' and '.join(str(x) for x in steps)} of {max_iter} iterations",
        "train_net": train_net, "test_net": test_net, "test_iter": test_iter,
        "base_lr": common.fmt_float(base_lr), "max_iter": max_iter, "stepvalues": steps,
        "snapshot_prefix": snapshot_prefix, "type": solver_type,
    }
    return common.render("ssd_solver.prototxt.j2", s=s)
