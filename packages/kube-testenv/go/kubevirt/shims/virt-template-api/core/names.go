// Package api is a build shim: see ../../README.md.
package api

// Names of the VirtualMachineTemplate API (group template.kubevirt.io).
const (
	GroupName            = "template.kubevirt.io"
	SubresourceGroupName = "subresources." + GroupName

	SingularResourceName = "virtualmachinetemplate"
	PluralResourceName   = SingularResourceName + "s"
)
