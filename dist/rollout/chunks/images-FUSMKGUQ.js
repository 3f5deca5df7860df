import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{b as a,c as b,d as c,e as d,f as e}from"./chunk-WQZYQWCH.js";import"./chunk-JL6P4GYP.js";import"./chunk-ORKPRCK3.js";export{c as containersOf,d as imagesOf,a as parseImageOverrides,b as podSpecsOf,e as substituteImages};
