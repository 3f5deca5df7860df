import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-3372NQAR.js";import"./chunk-SB55FMYH.js";import"./chunk-QVYXNAN3.js";import"./chunk-ORKPRCK3.js";export{c as contextNamespaceOf,a as kubeconfigSecrets,b as readKubeconfig,d as writeKubeconfig};
