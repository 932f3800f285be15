// Series colours: the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies
// and in greyscale print; it repeats past eight series.
const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export function seriesColour(index: number): string {
  return OKABE_ITO[index % OKABE_ITO.length]!;
}
