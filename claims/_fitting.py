"""A smoke-tier setting in which the network can fit its training set.

Claims about overfitting, regularization and convergence need a network that fits its training
set, as the papers' do; the tier's conv3 never fits its 10k augmented images, so there more
training always helps. Here a narrow All-CNN-C (16/32 channels; the form it was measured with,
kept so that its measurements hold) learns 1,000 of the images at 16x16
with the rate decayed by 0.97 per epoch. The Fisher-trace claim uses it for the same reason (the
fall of the trace comes with fitting). What was measured in both settings: PROTOCOL.md,
Measurements, "The fitting setting".
"""
FITTING = dict(model="allcnn-c", width=(16, 32), train_size=1000, lr_decay=0.97)
