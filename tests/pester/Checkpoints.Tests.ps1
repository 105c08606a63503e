# Issue 21, item 2: weights files as training code leaves them, and files that are not weights at all.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-ckpt-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $root | Out-Null
    # Written by Debian's PyTorch as training scripts write them: a plain state dict, checkpoints wrapping it, prefixed
    # keys (nn.DataParallel, torch.compile), and whole models in other formats.
    $python = @'
import sys, torch, torchvision
out = sys.argv[1]
torch.manual_seed(0)
m = torchvision.models.squeezenet1_1(num_classes=2)
sd = m.state_dict()
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
m(torch.randn(2, 3, 64, 64)).sum().backward(); opt.step()
m.load_state_dict(sd)
torch.save(sd, out + '/plain.pth')
torch.save({'epoch': 3, 'state_dict': sd, 'optimizer': opt.state_dict(), 'best_acc': 0.9}, out + '/state_dict.pth')
torch.save({'epoch': 3, 'model_state_dict': sd, 'optimizer_state_dict': opt.state_dict()}, out + '/model_state_dict.pth')
torch.save({'model': {'module.' + k: v for k, v in sd.items()}, 'epoch': 1}, out + '/model_dataparallel.pth')
torch.save({'net': sd}, out + '/net.pth')
torch.save({'ema': {'_orig_mod.' + k: v for k, v in sd.items()}, 'step': 10}, out + '/ema_compiled.pth')
torch.save({'_orig_mod.module.' + k: v for k, v in sd.items()}, out + '/compiled_dataparallel.pth')
torch.jit.script(m.eval()).save(out + '/scripted.pt')
torch.onnx.export(m.eval(), torch.randn(1, 3, 224, 224), out + '/model.onnx')
open(out + '/empty.pth', 'wb').close()
open(out + '/model.h5', 'wb').write(b'\x89HDF\r\n\x1a\n' + bytes(64))
'@
    & /usr/bin/python3 -c $python $root
    if ($LASTEXITCODE -ne 0) { throw 'PyTorch could not write the checkpoints.' }
    $photo = Join-Path $Images 'coffee.png'
    $reference = Get-ClassPrediction $photo -Model squeezenet1_1 -NumClasses 2 -WeightsPath (Join-Path $root 'plain.pth')
}
AfterAll { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Training checkpoints' {
    It 'takes the weights of <File>, the same as the plain state dict, and says where it found them' -ForEach @(
        @{ File = 'state_dict.pth'; Key = "['state_dict']" }
        @{ File = 'model_state_dict.pth'; Key = "['model_state_dict']" }
        @{ File = 'model_dataparallel.pth'; Key = "['model']" }
        @{ File = 'net.pth'; Key = "['net']" }
        @{ File = 'ema_compiled.pth'; Key = "['ema']" }
        @{ File = 'compiled_dataparallel.pth'; Key = $null }
    ) {
        $out = @(Get-ClassPrediction $photo -Model squeezenet1_1 -NumClasses 2 -WeightsPath (Join-Path $root $File) -Verbose 4>&1)
        $result = $out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $result.Logits | Should -Be $reference.Logits
        $notes = $out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*training checkpoint*' }
        if ($Key) { "$($notes.Message)" | Should -BeLike "*$File*$Key*" } else { $notes | Should -BeNullOrEmpty }
    }
}

Describe 'Files that are not weights' {
    It 'names <File> for what it is, with what to do' -ForEach @(
        @{ File = 'scripted.pt'; Says = '*TorchScript archive*torch.jit.load(*).state_dict()*' }
        @{ File = 'model.onnx'; Says = '*ONNX model*' }
        @{ File = 'model.h5'; Says = '*Keras model in HDF5*' }
        @{ File = 'empty.pth'; Says = '*is empty (0 bytes)*' }
    ) {
        $e = { Get-ClassPrediction $photo -Model squeezenet1_1 -NumClasses 2 -WeightsPath (Join-Path $root $File) -ErrorAction Stop } |
            Should -Throw -ErrorId 'WeightsUnreadable*' -PassThru
        $e.Exception.Message | Should -BeLike $Says
        $e.Exception.Message | Should -Not -BeLike '*old PyTorch format*'
    }
}
