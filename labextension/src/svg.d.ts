/** SVG files are bundled as their source text (see @jupyter/builder's asset rules). */
declare module '*.svg' {
  const svgstr: string;
  export default svgstr;
}
