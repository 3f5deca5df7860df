import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-AKJCT6U5.js";import"./chunk-2HCQGFK3.js";import"./chunk-ORKPRCK3.js";export{a as kubeconfigSecrets,b as readKubeconfig,c as writeKubeconfig};
