// Leaf 0x8000000a as Xen's nested SVM offers it: the hardware features it
// implements on top of hardware support, plus those it always emulates.

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import type { ReleaseModel } from "./release.ts";

const SVM_NPT = 1 << 0;
const SVM_LBRV = 1 << 1;
const SVM_NRIPS = 1 << 3;
const SVM_TSCRATEMSR = 1 << 4;
const SVM_VMCBCLEAN = 1 << 5;
const SVM_DECODEASSISTS = 1 << 7;
const SVM_PAUSEFILTER = 1 << 10;

export function clampNestedSvm(p: CpuPolicy, release: ReleaseModel): void {
  const svm = p.extd[0xa];
  const emulated = SVM_VMCBCLEAN | (release.svmTscRateMsr ? SVM_TSCRATEMSR : 0);
  svm.edx = ((svm.edx & (SVM_NPT | SVM_LBRV | SVM_NRIPS | SVM_PAUSEFILTER | SVM_DECODEASSISTS)) | emulated) >>> 0;
}
