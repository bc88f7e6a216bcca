"""Paper 1 Sec. 3.6 on CIFAR-10 (chapter 07): public pre-training of the two convolutions, private dense layers.

The pipeline, each step cached under ``<cache>/cifar/`` by a key that hashes everything that determines it:

1. **Public data** (:func:`.data.load_cifar_data`). Paper 1 pre-trains the convolutions on CIFAR-100. Where that
   is not available (offline), the alternative source ``cifar10-public`` is a fixed, seeded part of the CIFAR-10
   training set (``Cifar.public_size`` images) used *only* for pre-training; the dense layers are trained on the
   disjoint rest. The source actually used is reported everywhere (``CifarData.source``).
2. **Pre-training** (:func:`.pretrain.pretrain_convs`): the whole
   :class:`~dprob_utils.models.architectures.CifarNet` (with a 100- or 10-class head) is trained non-privately
   on the public data; only its ``features`` (the two convolutions) are kept and frozen.
3. **Features** (:func:`.pretrain.features_for`): the frozen convolutions map every private training image and
   every test image to a ``[N, channels[1] * 49]`` vector, once.
4. **Dense layers** (:func:`.heads.train_head`): the three FC-500 layers and the output layer are trained on the
   features with SGD and with DP-SGD (paper 1: sigma = 1, C = 3). Privacy is accounted on the private set only
   (sample rate = batch size / number of private images); the public data costs no privacy.
5. **Whole network** (:func:`.heads.assemble`): features + head, evaluated in *input* space for the distance to
   the closest decision boundary (equations (5), (6)) and the input-Hessian curvature profile (equation (7))
   (:mod:`.measures`); :func:`.chapter.run_cifar` is the chapter.
"""
