"""A smoke-tier setting in which the network can fit its training set.

The tier's conv3 (24k parameters) never fits its 10k augmented images in 16 epochs: a regime in
which more training always helps, so claims about overfitting, regularization and convergence
cannot show there (measured in the first smoke run of the follow-up claims, 3 seeds: data
augmentation cost 4.1 points instead of helping, weight decay changed nothing (+0.26 points), and
a warm start ended 3.1 points ABOVE a fresh run because it had simply trained longer: 71 % against
62 % training accuracy). Here a narrow All-CNN (16/32 channels) learns 1,000 of the images at
16x16 with the rate decayed by 0.97 per epoch: measured (seed 0, 60 epochs) 100 % training
accuracy and 34 % test accuracy without augmentation, 67.5 % and 40.6 % with it. The Fisher-trace
claim uses it for the same reason (the fall of the trace comes with fitting).
"""
FITTING = dict(model="allcnn", width=(16, 32), train_size=1000, lr_decay=0.97)
